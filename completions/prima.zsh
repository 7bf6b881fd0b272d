#compdef prima

_prima_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _PRIMA_COMPLETE=complete_zsh prima)
}

compdef _prima_completion prima

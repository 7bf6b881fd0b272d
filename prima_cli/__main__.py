from prima_cli.cli.main import run

run()

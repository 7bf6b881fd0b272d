"""JSON Schemas of every command's --json document (generated: prima_cli/cli/json_contract.py)."""

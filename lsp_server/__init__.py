"""entropy-complete's language server and command line (the only package that speaks LSP)."""

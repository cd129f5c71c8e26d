"""Use cases: PING and POST, orchestrating the domain through the ports."""

"""Sans-I/O buyer adapters: build the outbound request, parse the response into an answer."""

"""Pure rules of the lead exchange: no I/O, no framework imports."""

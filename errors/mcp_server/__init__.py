"""The Model Context Protocol server: coding assistants look errors up while developers
debug. answers.py holds the plain functions, server.py the SDK's server, transports.py
standard input/output and the WSGI-served streamable HTTP."""

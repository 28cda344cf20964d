"""neardup server: detection core (no gRPC) plus the gRPC boundary in servicer.py, put together
with its server in grpc_server.py."""

# MAJOR.MINOR.PATCH of the wire API, as GetStats reports it: a minor version adds to what the API does (fields,
# behaviour a client may rely on) and breaks no client of an earlier one; README.md, "Versions", lists them.
__version__ = "0.7.12"

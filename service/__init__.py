"""neardup server: detection core (no gRPC) plus the gRPC boundary in servicer.py, put together
with its server in grpc_server.py."""

__version__ = "0.1.0"

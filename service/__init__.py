"""neardup server: detection core (no gRPC) plus the gRPC boundary in grpc_server.py."""

__version__ = "0.1.0"

"""Simulated buyers: scripted HTTP servers (native protocol, or a mapped XML dialect) for the demo,
tests and benchmarks."""

from pickpost.simbuyers.script import BuyerScript, FleetConfig
from pickpost.simbuyers.server import SimFleet

__all__ = ["BuyerScript", "FleetConfig", "SimFleet"]

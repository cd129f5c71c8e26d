"""The demo's files, shipped inside the package so ``pickpost demo`` works wherever Pickpost is
installed: ``workspace.yaml`` (one campaign of each type over the simulated buyers),
``simbuyers.yaml`` (those buyers, ports 9001-9006) and ``examples/full-workspace.yaml`` (most
settings). Read them through :data:`FILES`, never by a path relative to a source checkout."""

from importlib.resources import files
from importlib.resources.abc import Traversable

FILES: Traversable = files(__name__)

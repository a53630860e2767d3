"""ember.nn: modules, parameters, functional ops, initialisation."""
# ruff: noqa: F401
from . import functional, init, utils
from .modules import *
from .parameter import Buffer, Parameter

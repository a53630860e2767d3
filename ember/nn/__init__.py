"""ember.nn: modules, parameters, functional ops, initialisation."""
# ruff: noqa: F401
from . import functional, init, parallel, utils
from .modules import *
from .parameter import Buffer, Parameter

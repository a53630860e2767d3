"""ember.nn: modules, parameters, functional ops, initialisation."""
from . import functional, init, utils
from .modules import *
from .parameter import Parameter

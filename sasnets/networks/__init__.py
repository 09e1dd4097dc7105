"""Network architectures: the built-in ones (``resnet1d``, the default;
``sasnet2017``, the 2017 baseline; ``mlp``) and the :class:`Architecture`
contract plugins use to add their own.  Nothing here imports Keras until a
network is built."""
from .base import DEFAULT_ARCHITECTURE, Architecture, Recipe, get_architecture, make_loss, make_optimizer

__all__ = ["Architecture", "Recipe", "get_architecture", "make_optimizer", "make_loss", "DEFAULT_ARCHITECTURE"]

from .base import BaseAligner

__all__ = ['BaseAligner']

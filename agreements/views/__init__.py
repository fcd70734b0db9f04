"""Function views, one per page; each serves its page and that page's htmx partials.

One module per entity; ``urls.py`` refers to them through this package.
"""

from .dashboard import dashboard

__all__ = ["dashboard"]

"""sspimodel: an executable specification of the Windows SSPI, generated from its reference pages.

Importing the package is cheap: it does not read spec/ (the generated layer under
``sspimodel._generated`` carries everything the model needs). Heavier parts are imported
on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

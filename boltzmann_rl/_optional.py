r"""Optional dependencies, imported when first needed, with a message naming the extra.

pandas (``to_frame``) and Ray (``--backend ray``) are optional: importing
boltzmann_rl never imports them, and using a feature without its package raises
:class:`MissingExtra` (an ``ImportError``) that says what to install.

Examples
--------
>>> from boltzmann_rl._optional import import_optional
>>> import_optional("json", "none", "this example").__name__
'json'
>>> try:
...     import_optional("no_such_module_here", "pandas", "to_frame()")
... except ImportError as exc:
...     print(*str(exc).split("; "), sep="\n")
to_frame() needs no_such_module_here, which is not installed
install the optional extra with: pip install "boltzmann-rl[pandas]"
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtra", "extra_hint", "import_optional"]


class MissingExtra(ImportError):
    """An optional dependency a feature needs is not installed.

    Examples
    --------
    >>> from boltzmann_rl._optional import MissingExtra
    >>> issubclass(MissingExtra, ImportError)
    True
    """


def extra_hint(extra: str) -> str:
    """The command that installs an optional extra.

    Examples
    --------
    >>> from boltzmann_rl._optional import extra_hint
    >>> extra_hint("ray")
    'pip install "boltzmann-rl[ray]"'
    """
    return f'pip install "boltzmann-rl[{extra}]"'


def import_optional(
    module: str,
    extra: str,
    purpose: str,
    *,
    alternative: str = "",
    error: type[MissingExtra] = MissingExtra,
) -> ModuleType:
    """Import ``module``, or raise ``error`` naming ``purpose`` and the ``extra`` to install.

    Parameters
    ----------
    module : str
        The module to import (``"pandas"``, ``"ray"``).
    extra : str
        The optional extra of boltzmann-rl that installs it.
    purpose : str
        What needs it, as the message's subject (``"to_frame()"``).
    alternative : str, optional
        Appended in parentheses: what works without it.
    error : subclass of MissingExtra, default MissingExtra

    Returns
    -------
    module

    Raises
    ------
    MissingExtra
        If the module is not installed.

    Examples
    --------
    >>> from boltzmann_rl._optional import import_optional
    >>> import_optional("math", "none", "an example").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        tail = f" (or {alternative})" if alternative else ""
        raise error(
            f"{purpose} needs {module}, which is not installed; install the optional "
            f"extra with: {extra_hint(extra)}{tail}"
        ) from None

"""``python -m sasnets``: the same as the ``sasnets`` command."""
from .cli import main

if __name__ == "__main__":
    main()

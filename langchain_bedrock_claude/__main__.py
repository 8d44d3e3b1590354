"""``python -m langchain_bedrock_claude``: the ``bedrock-claude`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

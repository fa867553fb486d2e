"""The tests, laid out like portal/ (how, and how to run them: README.md, "Two commands"). Shared helpers: tests/support/."""

import pytest

# Before tests.support is first imported (by conftest.py): a failed assert in a helper there shows
# its values, as one in a test module does.
pytest.register_assert_rewrite("tests.support")

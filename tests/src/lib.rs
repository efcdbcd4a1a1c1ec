//! Helpers shared by the whole-system tests live in `tests/tests/support`.

//! Integration tests for `vigil cli`; see the module docs of each test.

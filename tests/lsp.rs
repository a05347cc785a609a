//! Integration tests for `vigil lsp`; see the module docs of each test.

#pragma once
// Moved to tests/support (the simulator's TLS tests use it too); kept for code still
// including the old path.
#include "tests/support/test_pki.h"

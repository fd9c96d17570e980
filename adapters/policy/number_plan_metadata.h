#pragma once
// The numbering plan of the linked libphonenumber, read from its own compiled-in metadata, and
// the table core/number_table.h builds from it. The metadata is part of the library binary, so
// it cannot change while the process runs: the table is built once, at start-up (the first
// PhoneNumberChecker), and kept across reloads.
#include "core/number_table.h"

namespace sd {

// Every calling code the library supports, with its regions' patterns and lengths.
NumberPlan LoadLibraryNumberPlan();

// The process's table, built on first use from LoadLibraryNumberPlan() (≈ 0.1 s, ≈ 1 MiB) and
// kept for the life of the process. Thread-safe.
const NumberTable& LibraryNumberTable();

}  // namespace sd

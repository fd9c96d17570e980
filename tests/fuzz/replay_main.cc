// A main() for the fuzz targets in the normal build (any compiler, no libFuzzer): runs
// LLVMFuzzerTestOneInput once on every file of the directories (or files) given, in name
// order, so each target compiles with the tests and its checked-in corpus is replayed by
// ctest under the sanitizers. A violated property traps or aborts, which fails the test.
// Exit status: 0 after at least one input, 1 when an argument cannot be read or there were
// no inputs at all (an empty corpus would otherwise pass without checking anything).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool RunOne(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes on the heap, as libFuzzer passes it: ASan then reports a
  // read one byte past the input.
  std::vector<uint8_t> buf(data.begin(), data.end());
  LLVMFuzzerTestOneInput(buf.empty() ? nullptr : buf.data(), buf.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t inputs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(arg, ec)) {
      for (const auto& e : fs::directory_iterator(arg, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(arg);
    }
    if (ec) {
      fprintf(stderr, "replay: %s: %s\n", argv[i], ec.message().c_str());
      ok = false;
      continue;
    }
    for (const fs::path& f : files) {
      if (!RunOne(f)) {
        ok = false;
        continue;
      }
      ++inputs;
    }
  }
  printf("replay: %zu inputs\n", inputs);
  if (inputs == 0) fprintf(stderr, "replay: no inputs (usage: %s DIR|FILE...)\n", argv[0]);
  return ok && inputs > 0 ? 0 : 1;
}

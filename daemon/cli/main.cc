// smsdispatch: the producer/operator CLI (docs/cli.md). keygen makes signing keys, enqueue
// signs and adds jobs, outcomes summarises the outcome and receipt streams.
#include <cstdio>
#include <cstring>
#include <string>

#include "daemon/cli/args.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/keys.h"

namespace {

void Usage(FILE* out) {
  fputs(
      "usage: smsdispatch COMMAND [options]\n"
      "  keygen    generate a signing key (256-bit secret) into a key file\n"
      "  enqueue   sign and add jobs to the job stream (one, a JSON-lines file, or N generated)\n"
      "  outcomes  summarise the outcome and receipt streams, optionally waiting for counts\n"
      "  keys      the key registry in Redis: create, rotate, revoke, list, show\n"
      "  stats     the counters every running daemon publishes (rejections by reason, ...)\n"
      "  blocks    SMS-pumping blocks every daemon enforces: list, add, lift\n"
      "  quotas    segment quotas per key or tenant, per day and month: show, set, reset\n"
      "  carriers  runtime control of carriers on every daemon: list, pause, resume, drain\n"
      "  optouts   recipients' opt-outs every daemon enforces: list, add, remove, import\n"
      "Run 'smsdispatch COMMAND --help' for a command's options.\n"
      "Exit status: 0 success, 1 failure, 2 usage error.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(stderr);
    return sd::cli::kExitUsage;
  }
  const std::string command = argv[1];
  if (command == "keygen") return sd::cli::RunKeygen(argc, argv);
  if (command == "enqueue") return sd::cli::RunEnqueue(argc, argv);
  if (command == "outcomes") return sd::cli::RunOutcomes(argc, argv);
  if (command == "keys") return sd::cli::RunKeys(argc, argv);
  if (command == "stats") return sd::cli::RunStats(argc, argv);
  if (command == "blocks") return sd::cli::RunBlocks(argc, argv);
  if (command == "quotas") return sd::cli::RunQuotas(argc, argv);
  if (command == "carriers") return sd::cli::RunCarriers(argc, argv);
  if (command == "optouts") return sd::cli::RunOptOuts(argc, argv);
  if (command == "--help" || command == "-h" || command == "help") {
    Usage(stdout);
    return sd::cli::kExitOk;
  }
  fprintf(stderr, "smsdispatch: unknown command '%s'\n", command.c_str());
  Usage(stderr);
  return sd::cli::kExitUsage;
}

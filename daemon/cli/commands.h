#pragma once
// The smsdispatch subcommands. Each takes main's argv (argv[1] is the subcommand's name) and
// returns the process exit code: 0 success, 1 failure, 2 usage error (docs/cli.md).
namespace sd::cli {

int RunKeygen(int argc, char** argv);
int RunEnqueue(int argc, char** argv);
int RunOutcomes(int argc, char** argv);
int RunStats(int argc, char** argv);
int RunBlocks(int argc, char** argv);
int RunQuotas(int argc, char** argv);
int RunCarriers(int argc, char** argv);
int RunOptOuts(int argc, char** argv);

}  // namespace sd::cli

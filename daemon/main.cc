// smsdispatchd: parses the command line, loads the config and runs the daemon
// (daemon/lib/daemon.h) on the default libuv loop until it shuts down.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "daemon/lib/config.h"
#include "daemon/lib/daemon.h"
#include "daemon/lib/json_log_formatter.h"

namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG: systemd's RestartPreventExitStatus names it

struct Args {
  std::string config_path;
  bool check_only = false;
};

// Returns an exit code when the program should stop here (help, version, usage error: 2, the
// option named by CLI11).
std::optional<int> ParseArgs(int argc, char** argv, Args* args) {
  CLI::App app{
      "The SMS dispatch daemon: signed jobs from Redis to SMPP carriers and one outcome "
      "per job back (README.md, docs/configuration.md).",
      "smsdispatchd"};
  app.add_option("--config", args->config_path, "TOML configuration (docs/configuration.md)")
      ->required();
  app.add_flag("--check-config", args->check_only,
               "validate the configuration and key file, then exit");
  app.set_version_flag("--version", "smsdispatchd 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (auto rc = ParseArgs(argc, argv, &args)) return *rc;
  auto loaded = sd::LoadConfig(args.config_path);
  if (auto* err = std::get_if<sd::ConfigError>(&loaded)) {
    fprintf(stderr, "smsdispatchd: %s\n", err->ToString().c_str());
    return kExitConfig;
  }
  auto prepared = sd::PrepareDaemon(std::get<sd::Config>(std::move(loaded)));
  if (auto* err = std::get_if<sd::ConfigError>(&prepared)) {
    fprintf(stderr, "smsdispatchd: %s\n", err->ToString().c_str());
    return kExitConfig;
  }
  sd::DaemonSetup& setup = std::get<sd::DaemonSetup>(prepared);
  if (args.check_only) {
    for (const std::string& w : setup.config.warnings) {
      fprintf(stderr, "smsdispatchd: warning: %s\n", w.c_str());
    }
    printf("smsdispatchd: %s is valid (%zu signing keys%s)\n", args.config_path.c_str(),
           setup.policy.file_keys ? setup.policy.file_keys->size() : 0,
           setup.master ? ", key registry master key loaded" : "");
    return 0;
  }

  spdlog::set_default_logger(spdlog::stderr_color_mt("smsdispatchd"));
  spdlog::set_level(spdlog::level::from_str(setup.config.daemon.log_level));
  if (setup.config.daemon.log_format == "json") {
    spdlog::set_formatter(std::make_unique<sd::JsonLogFormatter>());
  }
  signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write is an error return, not a kill

  uv_loop_t* loop = uv_default_loop();
  bool started = false;
  {
    sd::Daemon daemon(loop, std::move(setup));
    started = daemon.Start();
    uv_run(loop, UV_RUN_DEFAULT);
    // Handles closed by libraries (hiredis' poll handles) finish closing here.
    uv_run(loop, UV_RUN_DEFAULT);
  }
  if (uv_loop_close(loop) != 0) spdlog::warn("loop closed with handles still open");
  if (!started) return 1;
  spdlog::info("stopped");
  return 0;
}

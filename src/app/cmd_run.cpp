// `mfhrl pretrain`, `mfhrl run` and `mfhrl reference`.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "common.h"
#include "mfhrl/core/error.h"
#include "mfhrl/core/log.h"
#include "policies.h"
#include "run_session.h"
#include "sac_trainer.h"
#include "signals.h"

namespace mfhrl::app {
void add_pretrain_command(CLI::App& app, const dist::Comm& comm) {
  auto* cmd = app.add_subcommand("pretrain", "Offline phase: train L bootstrapped CQL policies");
  auto opts = std::make_shared<ConfigOptions>();
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out,-o", *out, "file to write the policies to (HDF5)")->required();
  cmd->add_flag("--force", *force, "replace an existing file");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    const Config c = opts->load();
    use_threads(c, comm);
    print_config(c, comm);
    if (!*force && std::filesystem::exists(*out)) {
      throw InputError("--out: '" + *out + "' exists; pass --force to replace it");
    }
    const double t0 = now_seconds();
    const io::Dataset data = offline_dataset(c);
    PolicySet policies(c, comm, data.data);
    policies.pretrain(c, sim::LevelModel::create(c.real));
    policies.save(*out, c, *force);
    char buf[256];
    std::snprintf(buf, sizeof buf, "pretrain: %d policies written to %s in %.0f s",
                  c.offline.policies, out->c_str(), now_seconds() - t0);
    log::info(buf);
  });
}

void add_run_command(CLI::App& app, const dist::Comm& comm) {
  auto* cmd =
      app.add_subcommand("run", "Offline phase, then online rounds until the budget is spent");
  auto opts = std::make_shared<ConfigOptions>();
  auto out = std::make_shared<std::string>("mfhrl-run.h5");
  auto pretrained = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out,-o", *out, "run file to write (HDF5)")->capture_default_str();
  cmd->add_option("--pretrained", *pretrained, "policies from `mfhrl pretrain` instead of training")
      ->check(CLI::ExistingFile);
  auto resume = std::make_shared<std::string>();
  cmd->add_flag("--force", *force, "replace an existing run file");
  cmd->add_option("--resume", *resume, "continue an interrupted run file from its checkpoint");
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    install_stop_signals();
    if (!resume->empty()) {
      if (cmd->count("--out") > 0 && *out != *resume) {
        throw InputError("--out '" + *out + "' and --resume '" + *resume +
                         "': a resumed run continues in its own file; drop --out");
      }
      ResumePoint point;
      const Config c = prepare_resume(*resume, *opts, comm, &point);
      use_threads(c, comm);
      print_config(c, comm);
      if (!pretrained->empty()) {
        log::info("resume: --pretrained " + *pretrained +
                  " is not used; the policies come from the checkpoint");
      }
      run_session(c, comm, *resume, "", &point);
      return;
    }
    const Config c = opts->load();
    use_threads(c, comm);
    print_config(c, comm);
    if (!*force && std::filesystem::exists(*out)) {
      throw InputError("--out: '" + *out + "' exists; pass --force to replace it");
    }
    run_session(c, comm, *out, *pretrained, nullptr);
  });
}

void add_reference_command(CLI::App& app, const dist::Comm& comm) {
  auto* cmd = app.add_subcommand("reference", "Compute J*: SAC trained on the real system");
  auto opts = std::make_shared<ConfigOptions>();
  opts->add_to(cmd);
  cmd->callback([=, &comm] {
    const Config c = opts->load();
    use_threads(c, comm);
    auto real = sim::LevelModel::create(c.real);
    const SacRun sac = train_sac(c, real, sac_options(c, c.reference_sac_steps), 0,
                                 "reference: SAC on the real system");
    const std::vector<double> returns =
        sim::evaluate(real, c.seed, c.eval_episodes, greedy_policy(*sac.agent), c.episode_steps);
    double mean = 0, sd = 0;
    mean_std(returns, &mean, &sd);
    if (comm.rank() != 0) return;
    char buf[256];
    std::snprintf(buf, sizeof buf, "reference: J* = %.3f ± %.3f over %d episodes", mean, sd,
                  c.eval_episodes);
    std::cout << buf << "\n"
              << "regret.reference_return=" << mean << std::endl;
  });
}

}  // namespace mfhrl::app

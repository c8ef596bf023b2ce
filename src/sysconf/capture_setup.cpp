// What setup changes in capture, and the sysctl.d file of --reboot-on-panic.
#include <string>

#include "pstore_blk/sysconf/capture.hpp"

namespace psb::sysconf {

CaptureChange plan_capture_change(const SystemFacts& sf, const CaptureFacts& cf,
                                  const std::vector<std::pair<std::string, std::string>>& files,
                                  const std::string& device) {
  const CaptureTable before = capture_table(sf, cf, device);
  const CaptureTable after = capture_table(sf, with_config_files(cf, files), device);
  return capture_change(before, after);
}

std::string render_reboot_on_panic(long seconds) {
  const std::string n = std::to_string(seconds);
  return "# Written by `pstore-blk setup --reboot-on-panic " + n +
         "`.\n"
         "# Remove with `pstore-blk undo`; edits here are lost on the next setup.\n"
         "#\n"
         "# kernel.panic: seconds from a panic to the reboot. 0 (Debian 13's kernel\n"
         "# default, PANIC_TIMEOUT=0) leaves the machine hanging until someone\n"
         "# power-cycles it; with a timeout an unattended machine comes back and the\n"
         "# boot after the panic archives the crash records. systemd-sysctl applies\n"
         "# this at every boot; `sysctl -w kernel.panic=" +
         n +
         "` applies it now.\n"
         "kernel.panic = " +
         n + "\n";
}

}  // namespace psb::sysconf

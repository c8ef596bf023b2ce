#include "pstore_blk/sysconf/runner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace psb::sysconf {

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() &&
                 a.find_first_not_of(
                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@") ==
                     std::string::npos;
    s += plain ? a : "'" + a + "'";
  }
  return s;
}

Result<CommandResult> RealRunner::run(const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error(Errc::kInvalidArgument, "empty command");
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return make_sys_error("Failed to create a pipe", errno);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return make_sys_error("Failed to run '" + argv[0] + "'", err);
  }
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(pipefd[1]);
  CommandResult r;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st)) {
    r.status = WEXITSTATUS(st);
    if (r.status == 127 && r.output.empty())
      return make_error(Errc::kNotFound, "Failed to run '" + argv[0] + "': command not found");
  } else {
    r.status = 128 + WTERMSIG(st);
  }
  return r;
}

bool RealRunner::wait_for(const std::string& path, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

Result<CommandResult> DryRunRunner::run(const std::vector<std::string>& argv) {
  log_->push_back(prefix_ + command_line(argv));
  return CommandResult{};
}

bool DryRunRunner::wait_for(const std::string&, int) { return true; }

}  // namespace psb::sysconf

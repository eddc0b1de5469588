// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/spawn_inl.hpp: the bodies of spawn.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/spawn.hpp>
// What the bodies use besides their header:
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/detail/system_message.hpp>
#include <bgagent/runtime/detail/close_descriptors.hpp>
#include <bgagent/runtime/detail/runtime_syscall.hpp>
#include <cerrno>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

// posix_spawn_file_actions_addclosefrom_np came with glibc 2.34 (addchdir_np with 2.29). Without
// it, or with BGAGENT_SPAWN_WITH_FORK defined to 1, agents start through fork() and execve()
// instead, which close the host's descriptors with close_range(2).
#if !defined(BGAGENT_SPAWN_WITH_FORK)
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define BGAGENT_SPAWN_WITH_FORK 0
#else
#define BGAGENT_SPAWN_WITH_FORK 1
#endif
#endif

#if BGAGENT_SPAWN_WITH_FORK
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#endif

namespace bgagent::detail {

namespace spawn_detail {

// A bare program name searched in PATH's directories, as execvp would; empty if none has it.
inline std::string findInPath(const std::string& program, std::string_view directories) {
  while (true) {
    const std::size_t colon = directories.find(':');
    std::string candidate(directories.substr(0, colon));
    candidate = (candidate.empty() ? std::string(".") : candidate) + "/" + program;
    struct stat status {};
    if (::stat(candidate.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return {};
    directories.remove_prefix(colon + 1);
  }
}

// A bare program name searched in the agent's PATH when the options set one, then in the
// host's (or, without one, execvp's default); empty if none has it.
inline std::string findProgram(const std::string& program, const std::string& agentPath) {
  const char* hostPath = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read only
  std::string found = agentPath.empty() ? std::string() : findInPath(program, agentPath);
  if (found.empty()) found = findInPath(program, hostPath != nullptr ? hostPath : "/bin:/usr/bin");
  return found;
}

// What both ways of starting need, built before the child exists: the child of a fork may only
// make async-signal-safe calls, so it must not allocate.
struct SpawnPlan {
  std::vector<std::string> environmentText;
  std::vector<char*> environment;
  std::vector<std::string> argumentText;
  std::vector<char*> arguments;

  SpawnPlan(const std::vector<std::string>& argv,
            const std::map<std::string, std::string>& extraEnvironment,
            const std::optional<std::vector<std::string>>& inherited)
      : argumentText(argv) {
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      std::string text(*entry);
      const std::string name = text.substr(0, text.find('='));
      const bool passed =
          !inherited || std::find(inherited->begin(), inherited->end(), name) != inherited->end();
      if (passed && !extraEnvironment.contains(name)) environmentText.push_back(std::move(text));
    }
    for (const auto& [name, value] : extraEnvironment) {
      environmentText.push_back(name + '=' + value);
    }
    for (std::string& text : environmentText) environment.push_back(text.data());
    environment.push_back(nullptr);
    for (std::string& argument : argumentText) arguments.push_back(argument.data());
    arguments.push_back(nullptr);
  }
};

// A pipe's end moved to a descriptor above stderr (O_CLOEXEC kept). A host started with stdin,
// stdout or stderr closed gets its pipes there, where the child's dup2 onto 0, 1 and 2 would
// overwrite them or leave them close-on-exec.
inline int aboveStandardStreams(int fd) noexcept {
  if (fd > STDERR_FILENO) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) return fd;
  ::close(fd);
  return moved;
}

inline Error startError(const std::vector<std::string>& argv, const std::string& workingDirectory,
                        int errorNumber) {
  const ErrorCode code = errorNumber == ENOENT ? ErrorCode::NotFound : ErrorCode::Io;
  std::string message = "cannot start '" + argv.front() + "'";
  if (!workingDirectory.empty() && errorNumber == ENOENT) {
    message += " in '" + workingDirectory + "'";
  }
  return Error{code, message + ": " + systemMessage(errorNumber), "", 0, errorNumber};
}

// Signals whose default action stops, continues or ignores a process: none can have ended
// one, so a shell status of 128 plus one of them is an exit code (P27).
inline constexpr int kSignalsThatEndNoProcess[] = {SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP,
                                                   SIGTTIN, SIGTTOU, SIGURG,  SIGWINCH};

// Whether `signal` exists here and, at its default action, ends a process. The kernel's
// real-time signals start at 32; the C library keeps those below SIGRTMIN for itself.
inline bool signalEndsProcess(int signal) noexcept {
  constexpr int kFirstRealTime = 32;
  if (signal < 1 || signal > SIGRTMAX || (signal >= kFirstRealTime && signal < SIGRTMIN)) {
    return false;
  }
  return std::find(std::begin(kSignalsThatEndNoProcess), std::end(kSignalsThatEndNoProcess),
                   signal) == std::end(kSignalsThatEndNoProcess);
}

// The launcher of a survivor, run by /bin/sh with the program as its arguments. EOF instead of
// the gate's line (the host died before it wrote the Agent: line) runs nothing. Then the shell
// stays the program's parent, so that the file records how it ended for a host that did not
// start it (P27): every signal that would end it is caught (the program gets them at their
// defaults), its own notice of a death by signal goes nowhere (it would glue itself to a cut
// line), a cut last line (the last byte no newline, a NUL included) is ended, [EXIT] appended,
// and the shell ends as the program did, a signal death raised again (without a core dump) for
// a host that reaps it. Signal numbers are this system's, from the list the decode uses.
inline std::string launcherScript() {
  std::string caught;  // the signals raised again, SIGKILL aside (it cannot be caught)
  std::string raised;
  for (int signal = 1; signal <= SIGRTMAX; ++signal) {
    if (!signalEndsProcess(signal)) continue;
    raised += (raised.empty() ? "" : "|") + std::to_string(signal);
    if (signal != SIGKILL) caught += " " + std::to_string(signal);
  }
  // No variable is set before the program runs (the gate's line is read in a subshell): one
  // the environment exports would reach it changed. Its tools are found on the system's own
  // path, whatever PATH the agent was given.
  return "( IFS= read -r line ) || exit 125\n"
         "trap :" +
         caught +
         "\n"
         "exec 3>&2 2>/dev/null\n"
         "( exec \"$@\" 2>&3 3>&- ) </dev/null\n"
         "status=$?\n"
         "exec 3>&-\n"
         "nl=\n"
         "[ \"$(command -p tail -c 1 \"/proc/$$/fd/1\" | command -p wc -l)\" -eq 1 ] || nl='\n'\n"
         "printf '%s[EXIT] status=%d\\n' \"$nl\" \"$status\"\n"
         "if [ \"$status\" -gt 128 ]; then\n"
         "  case $((status - 128)) in\n"
         "    " +
         raised + ") trap -" + caught +
         "; ulimit -c 0; kill -$((status - 128)) $$ ;;\n"
         "  esac\n"
         "fi\n"
         "exit \"$status\"";
}

// A survivor's command line behind its gate (SurvivorStreams), run by launcherScript(): the
// pid, group and start time the host records are the launcher's, the program's parent, whose
// group and session hold it. The program is found here, as a launch without the gate would
// find it, so a missing one is still an error at once rather than the shell's exit code 127.
inline Result<std::vector<std::string>> behindGate(const std::vector<std::string>& argv,
                                                   const std::string& workingDirectory,
                                                   const std::string& agentPath) {
  std::string program = argv.front();
  if (program.find('/') == std::string::npos) {
    program = findProgram(program, agentPath);
    if (program.empty()) return startError(argv, workingDirectory, ENOENT);
  } else {
    const std::string at = program.front() == '/' || workingDirectory.empty()
                               ? program
                               : workingDirectory + "/" + program;
    if (::access(at.c_str(), X_OK) != 0) return startError(argv, workingDirectory, errno);
  }
  std::vector<std::string> gated{"/bin/sh", "-c", launcherScript(), "bgagent-gate",
                                 std::move(program)};
  gated.insert(gated.end(), argv.begin() + 1, argv.end());
  return gated;
}

#if BGAGENT_SPAWN_WITH_FORK

// The child's side: async-signal-safe calls only. Reports a failure's errno on `report` (closed
// by a successful exec, O_CLOEXEC) and exits 127.
[[noreturn]] inline void runChild(const char* program, char* const* arguments,
                                  char* const* environment, const char* workingDirectory, int input,
                                  int output, bool newSession, int report,
                                  int descriptorLimit) noexcept {
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &defaults, nullptr);
  int failure = 0;
  // Its own group, led by itself (a session leader leads its group too).
  if (newSession ? ::setsid() < 0 : ::setpgid(0, 0) != 0) failure = errno;
  const int nothing = failure == 0 && input < 0 ? ::open("/dev/null", O_RDONLY) : input;
  if (failure == 0 && nothing < 0) failure = errno;
  if (failure == 0 && (::dup2(nothing, STDIN_FILENO) < 0 || ::dup2(output, STDOUT_FILENO) < 0 ||
                       ::dup2(output, STDERR_FILENO) < 0)) {
    failure = errno;
  }
  if (failure == 0) {
    closeDescriptorsFrom(STDERR_FILENO + 1, report, descriptorLimit);
    if (workingDirectory[0] != '\0' && ::chdir(workingDirectory) != 0) failure = errno;
  }
  if (failure == 0) {
    sigset_t noSignals;
    sigemptyset(&noSignals);
    ::pthread_sigmask(SIG_SETMASK, &noSignals, nullptr);
    ::execve(program, arguments, environment);
    failure = errno;
  }
  [[maybe_unused]] const ssize_t written = ::write(report, &failure, sizeof failure);
  ::_exit(127);
}

inline Result<SpawnedProcess> spawnWithFork(const std::vector<std::string>& argv, SpawnPlan& plan,
                                            const std::string& workingDirectory,
                                            const std::string& agentPath, UniqueFd readEnd,
                                            const UniqueFd& writeEnd,
                                            const SurvivorStreams* survivor) {
  // The search spawnWithPosixSpawn makes: the agent's PATH when the options set one, then the
  // host's (or, without one, execvp's default).
  std::string program = argv.front();
  if (program.find('/') == std::string::npos) {
    program = findProgram(program, agentPath);
    if (program.empty()) return startError(argv, workingDirectory, ENOENT);
  }
  int reportFds[2];
  if (runtimeSyscalls.pipe2(reportFds, O_CLOEXEC) != 0) {
    return startError(argv, workingDirectory, errno);
  }
  UniqueFd reportRead(aboveStandardStreams(reportFds[0]));
  UniqueFd reportWrite(aboveStandardStreams(reportFds[1]));
  rlimit descriptors{};
  const int descriptorLimit =
      ::getrlimit(RLIMIT_NOFILE, &descriptors) == 0 && descriptors.rlim_cur < 1U << 20
          ? static_cast<int>(descriptors.rlim_cur)
          : 1 << 20;

  // No host signal handler may run in the child before it restores the defaults.
  sigset_t allSignals;
  sigfillset(&allSignals);
  sigset_t previousMask;
  ::pthread_sigmask(SIG_SETMASK, &allSignals, &previousMask);
  const pid_t pid = ::fork();
  if (pid == 0) {
    runChild(program.c_str(), plan.arguments.data(), plan.environment.data(),
             workingDirectory.c_str(), survivor != nullptr ? survivor->gate : -1,
             survivor != nullptr ? survivor->outputFile : writeEnd.get(), survivor != nullptr,
             reportWrite.get(), descriptorLimit);
  }
  const int forkError = errno;
  ::pthread_sigmask(SIG_SETMASK, &previousMask, nullptr);
  if (pid < 0) return startError(argv, workingDirectory, forkError);
  reportWrite.reset();

  int failure = 0;
  const ssize_t got = readPipe(reportRead.get(), &failure, sizeof failure);
  if (got == static_cast<ssize_t>(sizeof failure)) {  // the exec failed; the child has exited
    int status = 0;
    waitForChild(pid, status, 0);
    return startError(argv, workingDirectory, failure);
  }
  SpawnedProcess process;
  process.pid = pid;
  process.output = std::move(readEnd);
  return process;
}

#else

inline Result<SpawnedProcess> spawnWithPosixSpawn(const std::vector<std::string>& argv,
                                                  SpawnPlan& plan,
                                                  const std::string& workingDirectory,
                                                  const std::string& agentPath, UniqueFd readEnd,
                                                  const UniqueFd& writeEnd,
                                                  const SurvivorStreams* survivor) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (survivor != nullptr) {
    posix_spawn_file_actions_adddup2(&actions, survivor->gate, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  const int output = survivor != nullptr ? survivor->outputFile : writeEnd.get();
  posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output, STDERR_FILENO);
  // Descriptors the host opened without O_CLOEXEC must not leak into agents either.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  if (!workingDirectory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, workingDirectory.c_str());
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t noSignals;
  sigemptyset(&noSignals);
  sigset_t allSignals;
  sigfillset(&allSignals);
  posix_spawnattr_setsigmask(&attributes, &noSignals);
  posix_spawnattr_setsigdefault(&attributes, &allSignals);
  posix_spawnattr_setpgroup(&attributes, 0);  // its own group, led by itself
  // A session leader leads its group too.
  const int grouping = survivor != nullptr ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP;
  posix_spawnattr_setflags(
      &attributes, static_cast<short>(grouping | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

  // A bare program name is searched in the agent's PATH when the options set one, else in the
  // host's (posix_spawnp). A relative path with a '/' is relative to the working directory.
  std::string program = argv.front();
  if (!agentPath.empty() && program.find('/') == std::string::npos) {
    if (std::string found = findInPath(program, agentPath); !found.empty()) {
      program = std::move(found);
    }
  }
  SpawnedProcess process;
  const int status = ::posix_spawnp(&process.pid, program.c_str(), &actions, &attributes,
                                    plan.arguments.data(), plan.environment.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (status != 0) return startError(argv, workingDirectory, status);
  process.output = std::move(readEnd);
  return process;
}

#endif

}  // namespace spawn_detail

BGAGENT_INLINE int waitStatusOfExitRecord(int shellStatus) noexcept {
  const int signal = shellStatus - 128;
  // The encodings waitpid() gives: the signal in the low 7 bits, or the exit code above them.
  return spawn_detail::signalEndsProcess(signal) ? signal : (shellStatus & 0xff) << 8;
}

BGAGENT_INLINE Result<SpawnedProcess> spawnProcess(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& environment,
    const std::string& workingDirectory, const std::optional<std::vector<std::string>>& inherited,
    const SurvivorStreams* survivor) {
  if (argv.empty() || argv.front().empty()) {
    return Error::of(ErrorCode::InvalidArgument, "cannot start an agent without a program");
  }
  UniqueFd readEnd;
  UniqueFd writeEnd;
  if (survivor == nullptr) {
    int pipeFds[2];
    if (runtimeSyscalls.pipe2(pipeFds, O_CLOEXEC) != 0) {
      const int error = errno;  // before the message's allocations
      return Error{ErrorCode::Io,
                   "cannot start '" + argv.front() +
                       "': cannot create its output pipe: " + systemMessage(error),
                   "", 0, error};
    }
    readEnd = UniqueFd(spawn_detail::aboveStandardStreams(pipeFds[0]));
    writeEnd = UniqueFd(spawn_detail::aboveStandardStreams(pipeFds[1]));
    ::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK);
  }
  if (!workingDirectory.empty()) {
    struct stat status {};
    const bool exists = ::stat(workingDirectory.c_str(), &status) == 0;
    if (!exists || !S_ISDIR(status.st_mode)) {
      const int error = exists ? ENOTDIR : errno;
      return Error{error == ENOENT ? ErrorCode::NotFound : ErrorCode::InvalidArgument,
                   "cannot start '" + argv.front() + "': working directory '" + workingDirectory +
                       (error == ENOENT ? "' does not exist" : "': " + systemMessage(error)),
                   "", 0, error};
    }
  }

  const auto path = environment.find("PATH");
  const std::string agentPath = path != environment.end() ? path->second : std::string();
  std::vector<std::string> gated;
  // A host started with stdin, stdout or stderr closed may hold a survivor's descriptors
  // there: copies above them, so the child's dup2 onto 0, 1 and 2 cannot overwrite one with
  // another (or leave one close-on-exec).
  UniqueFd outputCopy;
  UniqueFd gateCopy;
  SurvivorStreams placed;
  if (survivor != nullptr) {
    placed = *survivor;
    const auto above = [](int fd, UniqueFd& copy) {
      if (fd > STDERR_FILENO) return fd;
      copy = UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
      return copy.get();  // -1 when no descriptor was left
    };
    placed.outputFile = above(placed.outputFile, outputCopy);
    placed.gate = above(placed.gate, gateCopy);
    if (placed.outputFile < 0 || placed.gate < 0) {
      return spawn_detail::startError(argv, workingDirectory, errno);
    }
    survivor = &placed;
    Result<std::vector<std::string>> wrapped =
        spawn_detail::behindGate(argv, workingDirectory, agentPath);
    if (!wrapped) return wrapped.error();
    gated = std::move(*wrapped);
  }
  const std::vector<std::string>& run = survivor != nullptr ? gated : argv;
  spawn_detail::SpawnPlan plan(run, environment, inherited);
#if BGAGENT_SPAWN_WITH_FORK
  Result<SpawnedProcess> spawned = spawn_detail::spawnWithFork(
      run, plan, workingDirectory, agentPath, std::move(readEnd), writeEnd, survivor);
#else
  Result<SpawnedProcess> spawned = spawn_detail::spawnWithPosixSpawn(
      run, plan, workingDirectory, agentPath, std::move(readEnd), writeEnd, survivor);
#endif
  if (!spawned && survivor != nullptr) {
    return spawn_detail::startError(argv, workingDirectory, spawned.error().systemError);
  }
  return spawned;
}

}  // namespace bgagent::detail

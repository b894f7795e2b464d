//! `mino worker` processes for the fault tests, and killing them the hard way.
//!
//! A worker launches its own Chromium, which SIGKILL of the worker alone would leave running
//! (nothing tells Chromium its parent died). Killing a worker here therefore kills everything
//! it started — as a crashed machine would — and only that: each worker leads a process group
//! of its own, which its Chromium processes inherit, and anything below it that left the
//! group is found through the parent links under `/proc`.

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A `mino worker` started by a test; killed with its descendants when dropped.
pub struct WorkerProcess {
    pub id: String,
    child: Child,
    log: PathBuf,
    killed: bool,
}

impl WorkerProcess {
    /// Starts `mino worker` on `database` with a lease of `lease_secs`, logging to a file in
    /// `log_dir`.
    pub fn spawn(database: &str, id: &str, lease_secs: u64, log_dir: &Path) -> Self {
        let log = log_dir.join(format!("{id}.log"));
        let file = std::fs::File::create(&log).expect("a worker log file");
        let child = Command::new(env!("CARGO_BIN_EXE_mino"))
            .args(["--database", database, "worker", "--worker-id", id])
            .args(["--lease-secs", &lease_secs.to_string()])
            .env("RUST_LOG", "warn,mino_core::engine=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .process_group(0)
            .spawn()
            .expect("the mino binary starts");
        WorkerProcess {
            id: id.to_owned(),
            child,
            log,
            killed: false,
        }
    }

    /// SIGKILLs the worker and every process under it (its Chromium), and reaps the worker.
    pub fn kill_tree(&mut self) {
        if self.killed {
            return;
        }
        self.killed = true;
        let root = self.child.id();
        let mut doomed = descendants(root);
        doomed.insert(root);
        kill_group(root);
        kill(&doomed);
        // Anything started between the look and the kill.
        let late: HashSet<u32> = doomed
            .iter()
            .flat_map(|pid| descendants(*pid))
            .filter(|pid| !doomed.contains(pid))
            .collect();
        kill(&late);
        let _ = self.child.wait();
    }

    /// Its process id, which is also its process group's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the test killed it.
    pub fn killed(&self) -> bool {
        self.killed
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The end of the worker's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill_tree();
    }
}

/// Every process below `root`, found through the parent pids in `/proc/<pid>/stat`.
fn descendants(root: u32) -> HashSet<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // The command name may hold spaces and parentheses: fields follow the last ')'.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = HashSet::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, _) in parents.iter().filter(|(_, ppid)| *ppid == parent) {
            if found.insert(*pid) {
                frontier.push(*pid);
            }
        }
    }
    found
}

/// SIGKILLs the process group led by `leader` (the worker and the Chromium it started).
fn kill_group(leader: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{leader}")])
        .stderr(Stdio::null())
        .status();
}

/// Whether any process of the group led by `leader` is still alive (zombies aside).
pub fn group_alive(leader: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After the name: state, ppid, pgrp.
        fields.first() != Some(&"Z") && fields.get(2) == Some(&leader.to_string().as_str())
    })
}

fn kill(pids: &HashSet<u32>) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

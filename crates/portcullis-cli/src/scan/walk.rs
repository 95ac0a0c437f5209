//! What to scan: files and directories, walked honouring `.gitignore` (and `.ignore`,
//! `.git/info/exclude`) with the `ignore` crate, or standard input. Hidden files such as
//! `.env` are scanned (they are where credentials hide); the `.git` directory is not (scan
//! history with `git log -p | portcullis scan -`). Symbolic links are never followed, so
//! a scan never leaves the tree it was given. Binary files (a NUL byte in the first 8 KiB,
//! git's own test) are skipped.

use std::io::Read;
use std::path::Path;

use ignore::WalkBuilder;

/// How much of a file decides whether it is binary.
const BINARY_SNIFF: usize = 8 * 1024;

/// A file that could not be read, with why; the scan goes on without it.
#[derive(Debug)]
pub struct Unreadable {
    /// The path, or `-`.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// What a walk saw besides the files it scanned.
#[derive(Debug, Default)]
pub struct WalkStats {
    /// Files scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files skipped as binary.
    pub binary: u64,
    /// Files that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// Calls `scan(name, bytes)` for standard input (`-`) or each text file under `paths`;
/// `honour_ignores: false` reads ignored files too (`--no-ignore`).
pub fn each_text(
    paths: &[String],
    honour_ignores: bool,
    mut scan: impl FnMut(&str, &[u8]),
) -> WalkStats {
    let mut stats = WalkStats::default();
    for path in paths {
        if path == "-" {
            let mut bytes = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut bytes) {
                Ok(_) => visit(&mut stats, "-", &bytes, &mut scan),
                Err(e) => stats.unreadable.push(Unreadable {
                    name: "-".into(),
                    reason: e.to_string(),
                }),
            }
            continue;
        }
        if !Path::new(path).exists() {
            stats.unreadable.push(Unreadable {
                name: path.clone(),
                reason: "no such file or directory".into(),
            });
            continue;
        }
        let walk = WalkBuilder::new(path)
            .hidden(false)
            .follow_links(false)
            // Honour .gitignore even outside a git checkout (a copied tree, an archive).
            .require_git(false)
            .git_ignore(honour_ignores)
            .git_exclude(honour_ignores)
            .git_global(honour_ignores)
            .ignore(honour_ignores)
            .parents(honour_ignores)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walk {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    stats.unreadable.push(Unreadable {
                        name: path.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            // Not a regular file: a directory, or a symbolic link (never followed).
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let name = entry.path().display().to_string();
            match std::fs::read(entry.path()) {
                Ok(bytes) => visit(&mut stats, &name, &bytes, &mut scan),
                Err(e) => stats.unreadable.push(Unreadable {
                    name,
                    reason: e.to_string(),
                }),
            }
        }
    }
    stats
}

fn visit(stats: &mut WalkStats, name: &str, bytes: &[u8], scan: &mut impl FnMut(&str, &[u8])) {
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some() {
        stats.binary += 1;
        return;
    }
    stats.files += 1;
    stats.bytes += bytes.len() as u64;
    scan(name, bytes);
}

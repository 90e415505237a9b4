//! Writing files so that nothing already written is lost: write a temporary file
//! beside the target, flush it to disk, then rename it over the target.
//!
//! In a browser there is no file system: the few operations the autosave needs
//! ([`store`]) keep each "file" in the page's local storage under its path instead, so an
//! interrupted session survives a reloaded tab there too.

#[cfg(not(target_arch = "wasm32"))]
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file that could not be written; names the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The most characters a name may have where it becomes part of a file name.
pub const FILE_SAFE_MAX_CHARS: usize = 40;

/// The one rule a name must pass before it becomes part of a path: 1 to
/// [`FILE_SAFE_MAX_CHARS`] ASCII letters, digits, `-` and `_`. No `/`, `\` or `.`, so
/// never another folder, `..` or a hidden file, on any file system.
pub fn is_file_safe(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= FILE_SAFE_MAX_CHARS
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `s` made to pass [`is_file_safe`]: other characters become `_`, cut to
/// [`FILE_SAFE_MAX_CHARS`]; `anonymous` when nothing is left.
pub fn file_safe(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(FILE_SAFE_MAX_CHARS)
        .collect();
    if out.is_empty() { "anonymous".into() } else { out }
}

/// Replace `path` with `bytes` atomically: either the old file or the whole new one remains.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |source| WriteError { path: path.to_path_buf(), source };
    #[cfg(target_arch = "wasm32")]
    {
        // One local-storage item is replaced whole or not at all.
        store::write(path, bytes).map_err(err)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().ok_or_else(|| err(std::io::Error::other("no file name")))?;
        let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        Ok(())
    }
}

/// The file operations the autosave uses: the disk, or a browser's local storage.
#[cfg(not(target_arch = "wasm32"))]
pub mod store {
    use std::path::Path;

    pub fn read_to_string(path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }

    pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    pub fn remove_file(path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)
    }

    pub fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::rename(from, to)
    }

    pub fn create_dir_all(path: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(path)
    }

    pub fn is_file(path: &Path) -> bool {
        path.is_file()
    }

    pub fn exists(path: &Path) -> bool {
        path.exists()
    }
}

/// The file operations the autosave uses, in the page's local storage: one item per
/// file, keyed `fluorohip:` and its path; folders are implied by the keys.
#[cfg(target_arch = "wasm32")]
pub mod store {
    use std::io::{Error, ErrorKind, Result};
    use std::path::Path;

    fn storage() -> Result<web_sys::Storage> {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .ok_or_else(|| Error::other("this browser gives the page no local storage"))
    }

    fn key(path: &Path) -> String {
        format!("fluorohip:{}", path.display())
    }

    fn js(e: wasm_bindgen::JsValue) -> Error {
        // The usual one: the storage quota is full.
        Error::other(format!("the browser's storage refused: {e:?}"))
    }

    pub fn read_to_string(path: &Path) -> Result<String> {
        storage()?.get_item(&key(path)).map_err(js)?.ok_or_else(|| Error::from(ErrorKind::NotFound))
    }

    pub fn read(path: &Path) -> Result<Vec<u8>> {
        read_to_string(path).map(String::into_bytes)
    }

    /// Local storage holds text: the autosave writes JSON, so anything else is refused.
    pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(bytes).map_err(|_| Error::other("only text is kept in browser storage"))?;
        storage()?.set_item(&key(path), text).map_err(js)
    }

    pub fn remove_file(path: &Path) -> Result<()> {
        storage()?.remove_item(&key(path)).map_err(js)
    }

    pub fn rename(from: &Path, to: &Path) -> Result<()> {
        let text = read_to_string(from)?;
        write(to, text.as_bytes())?;
        remove_file(from)
    }

    pub fn create_dir_all(_: &Path) -> Result<()> {
        Ok(())
    }

    pub fn is_file(path: &Path) -> bool {
        read_to_string(path).is_ok()
    }

    pub fn exists(path: &Path) -> bool {
        is_file(path)
    }
}

/// Append `line` (with a newline) to `path`, creating it if needed: the whole line or
/// nothing. The file is rewritten atomically, so a full disk or a pulled stick leaves the
/// old file whole rather than a half-written row at its end.
pub fn append_line(path: &Path, line: &str) -> Result<(), WriteError> {
    let mut bytes = match store::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(WriteError { path: path.to_path_buf(), source }),
    };
    if bytes.last().is_some_and(|b| *b != b'\n') {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    write_atomically(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_names_the_path() {
        let dir = std::env::temp_dir().join(format!("fluorohip-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("report.json");
        write_atomically(&target, b"old").unwrap();
        // A write that fails at the last moment (the rename onto a folder that is in the
        // way) names the path, leaves what was there, and leaves no temporary file.
        let blocked = dir.join("blocked");
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        let e = write_atomically(&blocked, b"new").unwrap_err();
        assert!(e.to_string().contains("blocked"), "{e}");
        assert!(blocked.join("inside").is_dir(), "the folder in the way is untouched");
        std::fs::remove_dir_all(&blocked).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        write_atomically(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        // Appending is whole or nothing too: a failed append leaves the file as it was.
        let csv = dir.join("class.csv");
        append_line(&csv, "a,b").unwrap();
        append_line(&csv, "1,2").unwrap();
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "a,b\n1,2\n");
        let e = append_line(&csv.join("not-a-folder.csv"), "x").unwrap_err();
        assert!(e.to_string().contains("not-a-folder.csv"), "{e}");
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "a,b\n1,2\n");
        std::fs::remove_file(&csv).unwrap();
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

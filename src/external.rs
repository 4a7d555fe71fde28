//! The user's own editor for a text: `$VISUAL`, else `$EDITOR`, else `vi`, run as git runs it
//! (`sh -c '<editor> "$@"' <editor> FILE`, so `code --wait`, arguments and quoting work) on a
//! private temp file. Blocking: the caller suspends the TUI around [`edit`].

use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

/// The editor's command line, without the file (which goes last): `$VISUAL`, else `$EDITOR`
/// (empty counts as unset), else `vi`, through `sh -c`.
pub fn editor_command() -> Vec<String> {
    editor_from(std::env::var("VISUAL").ok(), std::env::var("EDITOR").ok())
}

/// [`editor_command`] from the two variables' values.
fn editor_from(visual: Option<String>, editor: Option<String>) -> Vec<String> {
    let editor = [visual, editor]
        .into_iter()
        .flatten()
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    shell_command(&editor)
}

/// `editor` as a shell command taking the file as its last argument, the way git runs
/// `$EDITOR`: `sh -c '<editor> "$@"' <editor>`.
pub fn shell_command(editor: &str) -> Vec<String> {
    vec![
        "sh".to_string(),
        "-c".to_string(),
        format!("{editor} \"$@\""),
        editor.to_string(),
    ]
}

/// Let the user edit `text` in their editor ([`editor_command`]); the temp file's name ends
/// in `suffix` (`.json`, for the editor's syntax). See [`edit_with`].
pub fn edit(text: &str, suffix: &str) -> io::Result<String> {
    edit_with(&editor_command(), text, suffix)
}

/// Write `text` to a new temp file (mode 0600, in the temp dir, named `swarmdeck-…<suffix>`),
/// run `cmd` with the file's path as its last argument and the terminal as its stdio, wait,
/// and return the file's content. The editor failing (a non-zero exit, a signal) is an error
/// that says its exit status, and keeps nothing. The file is removed on every path.
pub fn edit_with(cmd: &[String], text: &str, suffix: &str) -> io::Result<String> {
    let Some((program, args)) = cmd.split_first() else {
        return Err(io::Error::new(ErrorKind::InvalidInput, "no editor command"));
    };
    let mut file = tempfile::Builder::new()
        .prefix("swarmdeck-")
        .suffix(suffix)
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    let status = Command::new(program)
        .args(args)
        .arg(file.path())
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {}: {e}", shown(cmd))))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "{} failed ({status}); the edit was not kept",
            shown(cmd)
        )));
    }
    // by path: an editor may have replaced the file (a rename) rather than written into it
    let bytes = std::fs::read(file.path())?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "{} left text that is not UTF-8; the edit was not kept",
                shown(cmd)
            ),
        )
    })
    // `file` is dropped here and on every `?` above: the temp file is removed
}

/// The editor as the user wrote it, for messages: `the editor "code --wait"`.
fn shown(cmd: &[String]) -> String {
    let editor = match cmd {
        [sh, c, _, editor] if sh == "sh" && c == "-c" => editor.clone(),
        _ => cmd.join(" "),
    };
    format!("the editor {editor:?}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A script in `dir` that records the path and mode of the file it gets in `seen`, then
    /// runs `body` (with the file as `$1`).
    fn script(dir: &Path, body: &str) -> String {
        let path = dir.join("editor.sh");
        let seen = dir.join("seen");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$1\" > '{}'\nstat -c %a \"$1\" >> '{}'\n{body}\n",
                seen.display(),
                seen.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    /// The file the script was given (it must be gone) and its mode then.
    fn seen(dir: &Path) -> (String, String) {
        let text = std::fs::read_to_string(dir.join("seen")).unwrap();
        let mut lines = text.lines();
        let file = lines.next().unwrap().to_string();
        let mode = lines.next().unwrap().to_string();
        assert!(!Path::new(&file).exists(), "{file} is removed");
        (file, mode)
    }

    #[test]
    fn an_editor_that_rewrites_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let editor = script(dir.path(), "sed -i s/a/b/ \"$1\"");
        let out = edit_with(&shell_command(&editor), "{\"a\": 1}\n", ".json").unwrap();
        assert_eq!(out, "{\"b\": 1}\n");
        let (file, mode) = seen(dir.path());
        assert!(file.ends_with(".json"), "{file}");
        assert!(
            Path::new(&file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("swarmdeck-")
        );
        assert_eq!(mode, "600");
    }

    #[test]
    fn an_editor_that_replaces_the_file() {
        // as vim does with backupcopy=no: write a new file and rename it over the old one
        let dir = tempfile::tempdir().unwrap();
        let editor = script(
            dir.path(),
            "printf 'new' > \"$1.new\" && mv \"$1.new\" \"$1\"",
        );
        assert_eq!(
            edit_with(&shell_command(&editor), "old", ".json").unwrap(),
            "new"
        );
        seen(dir.path());
    }

    #[test]
    fn an_editor_that_fails_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let editor = script(dir.path(), "echo changed > \"$1\"; exit 1");
        let e = edit_with(&shell_command(&editor), "{}", ".json").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("exit status: 1"), "{msg}");
        assert!(msg.contains("editor.sh"), "names the editor: {msg}");
        assert!(msg.contains("not kept"), "{msg}");
        seen(dir.path());

        let e = edit_with(&shell_command("kill -TERM $$; :"), "{}", ".json").unwrap_err();
        assert!(e.to_string().contains("signal: 15"), "{e}");
    }

    #[test]
    fn an_editor_with_arguments_runs_through_the_shell() {
        // what `EDITOR="code --wait"` is: a command line, not a program name
        let out = edit_with(&shell_command("sed -i -e s/a/b/ -e s/c/d/"), "ac", ".txt").unwrap();
        assert_eq!(out, "bd");
        // quoting as in the shell
        let out = edit_with(&shell_command("sed -i 's/a b/c/'"), "a b", ".txt").unwrap();
        assert_eq!(out, "c");
    }

    #[test]
    fn a_missing_editor_is_an_error() {
        let e = edit_with(&["/nonexistent/editor".to_string()], "{}", ".json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("/nonexistent/editor"), "{e}");
        // through the shell: sh says so and exits 127
        let e = edit_with(&shell_command("/nonexistent/editor"), "{}", ".json").unwrap_err();
        assert!(e.to_string().contains("exit status: 127"), "{e}");
        assert!(edit_with(&[], "{}", ".json").is_err());
    }

    #[test]
    fn a_non_utf8_result_is_an_error() {
        let e = edit_with(&shell_command("printf '\\377' >"), "{}", ".json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData);
    }

    #[test]
    fn visual_then_editor_then_vi() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            editor_from(s("code --wait"), s("nano")),
            shell_command("code --wait")
        );
        assert_eq!(editor_from(None, s("nano")), shell_command("nano"));
        assert_eq!(editor_from(s(" "), s("nano")), shell_command("nano"));
        assert_eq!(editor_from(None, s("")), shell_command("vi"));
        assert_eq!(editor_from(None, None), shell_command("vi"));
        assert_eq!(
            shell_command("code --wait"),
            ["sh", "-c", "code --wait \"$@\"", "code --wait"]
        );
    }
}

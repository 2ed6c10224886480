//! The command line as a user meets it: help that lists every command, and no panic when
//! the reader of its output goes away (issue 9).

use std::process::{Command, Stdio};

const FUNNEL: &str = env!("CARGO_BIN_EXE_funnel");

#[test]
fn help_lists_every_command_and_succeeds() {
    for flag in ["--help", "-h", "help"] {
        let out = Command::new(FUNNEL).arg(flag).output().unwrap();
        assert!(out.status.success(), "{flag}: {:?}", out.status);
        let text = String::from_utf8(out.stdout).unwrap();
        for cmd in ["report", "forecast", "generate", "bench", "tables", "texts"] {
            assert!(text.contains(&format!("funnel {cmd}")), "{flag} lists {cmd}");
        }
    }
    let out = Command::new(FUNNEL).arg("nonsense").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown command \"nonsense\""));
}

#[test]
fn a_reader_that_stops_early_is_no_crash() {
    let dir = std::env::temp_dir().join(format!("funnel-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("demo.json");
    let gen = Command::new(FUNNEL).args(["generate", "--deals", "400", "--seed", "1", "--as-of", "2026-11-27", "--out"]).arg(&file).output().unwrap();
    assert!(gen.status.success());
    // `funnel report … | head -0`: the pipe closes before anything is read.
    let mut child = Command::new(FUNNEL)
        .args(["report"])
        .arg(&file)
        .args(["--as-of", "2026-11-27", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the report is printed (the file is still being read),
    // so the first line written meets a closed pipe, whatever the output's size.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?} {err}", out.status);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The file the browser build fetches for Chinese (scripts/post_build.mjs writes it from
/// this command): the table's texts in key order, read back by the app's own reader.
#[test]
fn texts_zh_writes_the_file_the_browser_reads() {
    use funnelscope::domain::Lang;
    use funnelscope::i18n::{parse_texts, tr, K};
    let out = Command::new(FUNNEL).args(["texts", "zh"]).output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let texts = parse_texts(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(texts.len(), K::ALL.len());
    for (&k, text) in K::ALL.iter().zip(&texts) {
        assert_eq!(text, tr(Lang::Zh, k), "{k:?}");
    }
    let out = Command::new(FUNNEL).args(["texts", "fr"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: funnel texts zh"));
}

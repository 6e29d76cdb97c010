"""A full USB stick or disk while writing what a person asked for (a bundle, a snapshot file, the
report, the workbook) is one message in the user's language naming the file: no internal error, no
partial file left, nothing recorded as made; and the operating system's reasons are translated."""
from __future__ import annotations

import errno
import shutil
import sqlite3

import pytest

from inspector import i18n
from inspector.errors import ENVIRONMENT_ERRNOS, os_reason
from tests.support.accounts import use_account
from tests.support.disks import fill, tiny_disk  # noqa: F401 - a fixture
from tests.support.signed_store import signed_store


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    s = signed_store(tmp_path_factory.mktemp("full-disk") / "w")
    s.engine.dispose()
    return s


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    from inspector.cli import run

    before = i18n.language()

    def invoke(*args: str, login: str = "zhang", lang: str = "zh_CN"):
        use_account(monkeypatch, tmp_path, login)
        capsys.readouterr()
        code = run([*args, "--lang", lang])
        out = capsys.readouterr()
        return code, out.out, out.err

    yield invoke
    i18n.set_language(before)


def _events(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM event").fetchone()[0]
    finally:
        con.close()


OUTPUTS = {
    "bundle": ("exchange", "export", "--inspection", "{iid}", "--out", "{out}"),
    "snapshot": ("exchange", "export-snapshot", "--inspection", "{iid}", "--out", "{out}"),
    "report": ("report", "--inspection", "{iid}", "--out", "{out}"),
    "workbook": ("export-xlsx", "--inspection", "{iid}", "--out", "{out}"),
}
NAMES = {"bundle": "work.inspector-bundle", "snapshot": "join.inspector-snapshot", "report": "report.pdf",
         "workbook": "findings.xlsx"}


@pytest.mark.parametrize("what", list(OUTPUTS))
def test_a_full_disk_is_one_message_naming_the_file_and_leaves_nothing(made, cli, tiny_disk, tmp_path, what):
    db = tmp_path / "store.db"
    shutil.copy(made.db, db)
    out = tiny_disk / NAMES[what]
    fill(tiny_disk, leave=8192)
    before = _events(db)
    args = [a.format(iid=made.inspection, out=out) for a in OUTPUTS[what]]
    code, stdout, stderr = cli(*args, "--db", str(db))
    assert code == 2, stdout + stderr
    assert f"无法写入 {out}：磁盘已满；该处未写入任何内容" in stderr, stderr
    assert "内部错误" not in stderr and "Traceback" not in stderr and "No space" not in stderr
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]     # no partial or temporary file
    if what == "report":            # not recorded as made
        assert _events(db) == before
    # with room again, the same command writes the file
    (tiny_disk / "filler").unlink()
    if what != "snapshot":          # a snapshot file of this store needs more than 2 MB
        code, stdout, stderr = cli(*args, "--db", str(db))
        assert code == 0, stdout + stderr
        assert out.exists()


def test_every_reason_of_the_operating_system_reads_in_chinese():
    i18n.set_language("zh_CN")
    try:
        for n in ENVIRONMENT_ERRNOS:
            text = os_reason(OSError(n, "English text from the system"))
            english = [w for w in text.replace("FAT32", "").replace("GB", "").replace("U 盘", "").split()
                       if any("a" <= c.lower() <= "z" for c in w)]
            assert any("\u4e00" <= c <= "\u9fff" for c in text) and not english, text
        assert os_reason(OSError(errno.ETIMEDOUT, "Connection timed out")) == "系统错误（ETIMEDOUT）"
    finally:
        i18n.set_language("en")
    assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "the disk is full"


def test_a_missing_folder_is_named_in_the_users_language(made, cli, tmp_path):
    db = tmp_path / "store.db"
    shutil.copy(made.db, db)
    code, stdout, stderr = cli("trust", "add", str(tmp_path / "missing-ca.pem"), "--db", str(db))
    assert code == 2 and "没有这个文件或文件夹" in stderr and "No such file" not in stderr, stderr

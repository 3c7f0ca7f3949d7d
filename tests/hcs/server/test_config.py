"""The configuration file: valid files, and mistakes refused with their line and key."""

import pytest

from hcs.server.config import ConfigError, parse

GOOD = """\
calling_ae = "HCS_TEST"
[timeouts]
dimse = 10
idle_release = 3
[server]
listen = "127.0.0.1:9000"
spool = "spool"
allowed_dirs = ["images"]
[groups]
film = ["a", "b"]
[printers.a]
host = "127.0.0.1"
port = 1040
ae_title = "A"
[printers.b]
host = "127.0.0.1"
port = 1041
film_sizes = ["14INX17IN"]
"""


def test_a_good_file(tmp_path):
    config = parse(GOOD, "hcs.toml", base=tmp_path)
    assert sorted(config.printers) == ["a", "b"]
    assert config.printers["a"].calling_ae_title == "HCS_TEST"
    assert config.printers["a"].timeouts.dimse == 10
    assert config.printers_for("film") == ("a", "b")
    assert config.server.port == 9000 and config.server.spool == tmp_path / "spool"
    assert config.server.allowed_dirs == ((tmp_path / "images").resolve(),)


def test_syntax_error_has_its_line():
    with pytest.raises(ConfigError) as error:
        parse(GOOD.replace("port = 1041", "port = = 1041"), "hcs.toml")
    assert error.value.line == 17
    assert "line 17" in str(error.value) and "not valid TOML" in str(error.value)


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("port = 1041", "port = 99999"), 17, "printers.b.port"),
        (('film_sizes = ["14INX17IN"]', 'film_sizes = ["HUGE"]'), 18, "printers.b.film_sizes"),
        (('ae_title = "A"', "colour = true"), 14, "unknown key"),
        (('film = ["a", "b"]', 'film = ["a", "c"]'), 10, "groups.film: no printer named c"),
        (('listen = "127.0.0.1:9000"', 'listen = "0.0.0.0:9000"'), 6, "needs server.token"),
        (("dimse = 10", "dimse = -1"), 3, "timeouts.dimse"),
    ],
)
def test_semantic_errors_name_key_and_line(change, line, words):
    with pytest.raises(ConfigError) as error:
        parse(GOOD.replace(*change), "hcs.toml")
    assert words in str(error.value)
    assert error.value.line == line, str(error.value)


def test_other_interfaces_need_a_token():
    text = GOOD.replace(
        'listen = "127.0.0.1:9000"', 'listen = "0.0.0.0:9000"\ntoken = "0123456789abcdef0123"'
    )
    config = parse(text)
    assert config.server.token and not config.server.is_loopback


def test_the_spool_table_names_a_backend_and_its_database(tmp_path):
    assert parse(GOOD, "hcs.toml", base=tmp_path).spool.backend == "sqlite"
    text = GOOD.replace(
        "[groups]",
        '[spool]\nbackend = "postgresql"\nurl = "postgresql://hcs@db/hcs"\n'
        'sslmode = "verify-full"\nsslrootcert = "ca.pem"\nlease = 3\n[groups]',
    )
    spool = parse(text, "hcs.toml", base=tmp_path).spool
    assert (spool.backend, spool.url, spool.lease) == ("postgresql", "postgresql://hcs@db/hcs", 3)
    assert spool.connect_options() == {
        "sslmode": "verify-full",
        "sslrootcert": str(tmp_path / "ca.pem"),
    }
    for table, message in (
        ('backend = "mysql"', "spool.backend: 'mysql' is not"),
        ('backend = "postgresql"', "spool.url: the postgresql backend needs"),
        ('backend = "postgresql"\nurl = "x"\nsslmode = "maybe"', "spool.sslmode"),
        ("lease = 0", "spool.lease"),
        ("replicas = 2", "spool.replicas: unknown key"),
    ):
        with pytest.raises(ConfigError, match=message) as error:
            parse(GOOD.replace("[groups]", f"[spool]\n{table}\n[groups]"), "hcs.toml")
        assert error.value.line is not None

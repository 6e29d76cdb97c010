"""Every help text of every command and option, at every level of subcommands, is in the
Chinese catalog: `python main.py X --help` shows no English prose in a Chinese session."""
from __future__ import annotations

import argparse

from inspector import i18n
from inspector.cli import build_parser


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...]):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield path + (choice.dest,), choice.help
            for name, sub in action.choices.items():
                yield from _walk(sub, path + (name,))
        elif action.help and action.help is not argparse.SUPPRESS:
            yield path + tuple(action.option_strings or (action.dest,)), action.help
    if parser.description:
        yield path + ("<description>",), parser.description


def test_every_help_text_has_a_chinese_translation():
    i18n.set_language("en")          # build with the English ids, then look each up in zh_CN
    try:
        parser = build_parser()
    finally:
        i18n.set_language("zh_CN")
    zh = i18n.catalog("zh_CN")
    argparse_own = {"show this help message and exit"}
    missing = sorted({f"{' '.join(where)}: {text}" for where, text in _walk(parser, ())
                      if text and text not in zh and text not in argparse_own})
    assert not missing, "help texts without a Chinese translation:\n" + "\n".join(missing)


def test_english_help_texts_hold_no_chinese():
    import re

    cjk = re.compile(r"[\u3400-\u9fff]")
    i18n.set_language("en")
    try:
        parser = build_parser()
    finally:
        i18n.set_language("zh_CN")
    chinese = sorted(f"{' '.join(where)}: {text}" for where, text in _walk(parser, ()) if text and cjk.search(text))
    assert not chinese, "English help texts with Chinese in them:\n" + "\n".join(chinese)

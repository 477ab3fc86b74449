"""serverless.yml booleans follow YAML 1.2 (js-yaml), not PyYAML's YAML 1.1."""

from sockgate.service.yaml_loader import load_yaml


def test_on_off_yes_no_stay_strings_and_true_false_are_booleans() -> None:
    text = "off: {a: on, b: yes, c: no, d: true, e: False}\n"
    data = load_yaml(text, file="serverless.yml")
    assert data == {"off": {"a": "on", "b": "yes", "c": "no", "d": True, "e": False}}

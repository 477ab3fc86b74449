from sockgate.errors import ConfigError, SockgateError


def test_config_error_names_file_path_and_fix() -> None:
    error = ConfigError(
        "unknown key 'handlr'",
        file="serverless.yml",
        path="functions.hello",
        fix="Did you mean 'handler'?",
    )
    assert isinstance(error, SockgateError)
    assert str(error) == (
        "serverless.yml at functions.hello: unknown key 'handlr'. Did you mean 'handler'?"
    )

from sasnets.cli._options import comma_separated


def test_repeatable_values_split_on_commas_without_blanks():
    assert comma_separated(("sphere,cylinder", " lamellar ", ",", "a,,b")) == ["sphere", "cylinder", "lamellar", "a", "b"]
    assert comma_separated(()) == []

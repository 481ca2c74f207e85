"""Extractive answers that know when the sources are silent.

The package's modules are the steps, in order:

- `question`: what the question expects (a date, a figure, a name, a reason…),
  its focus terms weighted by rarity, the numbers it names, its parts;
- `evidence`: per candidate sentence, the features saying whether it answers;
- `short_answer`: the date, figure or name a sentence holds that is the one asked for;
- `when`: the time a sentence speaks of, which must be the time the question names;
- `answerability`: one calibrated score from those features and one threshold,
  both read from the reviewed `answerability.json`;
- `compose`: the cited sentences (or an abstention saying what is missing);
- `byline`: who wrote a source, where its text names the authors its metadata lists;
- `acronym`: what an acronym stands for, where the sources spell it out;
- `heading`: the name a section's heading gives what the section tells;
- `reader`: an optional cross-encoder whose score is one more feature.

Language-specific words live in `dossier.lexicon`.
"""

from dossier.lexicon import ENGLISH
from dossier.service.answer.answerability import (
    DEFAULT_MODEL,
    Answerability,
    AnswerabilityError,
)
from dossier.service.answer.compose import Composed, compose
from dossier.service.answer.evidence import FEATURES, Evidence, features
from dossier.service.answer.question import Question, analyse
from dossier.service.answer.reader import Reader, ReaderError, load_reader

ABSTENTION = ENGLISH.messages["abstain"]

__all__ = [
    "ABSTENTION",
    "DEFAULT_MODEL",
    "FEATURES",
    "Answerability",
    "AnswerabilityError",
    "Composed",
    "Evidence",
    "Question",
    "Reader",
    "ReaderError",
    "analyse",
    "compose",
    "features",
    "load_reader",
]

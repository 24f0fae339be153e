"""Synthetic speech in several languages, made at test time with espeak-ng (GPL-3.0 program;
nothing it produces is committed). Robotic formant speech: good enough to tell languages apart
and to exercise the non-English paths, not a measure of how well real speech is transcribed.

Imported by tests/test_languages.py and benchmarks/languages.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from annotator.media import ffmpeg_executable


def ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg; fail loudly if it cannot."""
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
    )


# Three everyday meeting sentences per language, written for this project. Keys are Whisper's
# language codes; values are (espeak-ng voice, sentences).
SENTENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": (
        "en-us",
        (
            "Good morning everyone, let us look at the budget for next year.",
            "I think we should move the release to the end of the month.",
            "Can you send me the report before Friday afternoon?",
        ),
    ),
    "de": (
        "de",
        (
            "Guten Morgen zusammen, wir sprechen heute über das Budget für das nächste Jahr.",
            "Ich glaube, wir sollten die Veröffentlichung auf Ende des Monats verschieben.",
            "Kannst du mir den Bericht bis Freitagnachmittag schicken?",
        ),
    ),
    "es": (
        "es",
        (
            "Buenos días a todos, hoy hablamos del presupuesto para el próximo año.",
            "Creo que deberíamos mover el lanzamiento al final del mes.",
            "¿Puedes enviarme el informe antes del viernes por la tarde?",
        ),
    ),
    "fr": (
        "fr-fr",
        (
            "Bonjour à tous, nous parlons aujourd'hui du budget de l'année prochaine.",
            "Je pense que nous devrions repousser la sortie à la fin du mois.",
            "Peux-tu m'envoyer le rapport avant vendredi après-midi ?",
        ),
    ),
    "it": (
        "it",
        (
            "Buongiorno a tutti, oggi parliamo del bilancio per il prossimo anno.",
            "Penso che dovremmo spostare il rilascio alla fine del mese.",
            "Puoi mandarmi il rapporto prima di venerdì pomeriggio?",
        ),
    ),
    "pt": (
        "pt",
        (
            "Bom dia a todos, hoje falamos sobre o orçamento do próximo ano.",
            "Acho que devemos adiar o lançamento para o fim do mês.",
            "Você pode me enviar o relatório antes de sexta-feira à tarde?",
        ),
    ),
    "nl": (
        "nl",
        (
            "Goedemorgen allemaal, vandaag bespreken we het budget voor volgend jaar.",
            "Ik denk dat we de release naar het einde van de maand moeten verplaatsen.",
            "Kun je me het rapport voor vrijdagmiddag sturen?",
        ),
    ),
    "ru": (
        "ru",
        (
            "Доброе утро всем, сегодня мы обсуждаем бюджет на следующий год.",
            "Я думаю, нам стоит перенести выпуск на конец месяца.",
            "Можешь прислать мне отчёт до пятницы?",
        ),
    ),
    "pl": (
        "pl",
        (
            "Dzień dobry wszystkim, dzisiaj rozmawiamy o budżecie na przyszły rok.",
            "Myślę, że powinniśmy przesunąć wydanie na koniec miesiąca.",
            "Czy możesz mi wysłać raport przed piątkowym popołudniem?",
        ),
    ),
    "tr": (
        "tr",
        (
            "Herkese günaydın, bugün gelecek yılın bütçesini konuşuyoruz.",
            "Bence sürümü ayın sonuna ertelemeliyiz.",
            "Raporu bana cuma öğleden önce gönderebilir misin?",
        ),
    ),
    "hi": (
        "hi",
        (
            "सभी को सुप्रभात, आज हम अगले साल के बजट पर बात करेंगे।",
            "मुझे लगता है कि हमें रिलीज़ को महीने के अंत तक टाल देना चाहिए।",
            "क्या आप मुझे शुक्रवार से पहले रिपोर्ट भेज सकते हैं?",
        ),
    ),
    "ur": (
        "ur",
        (
            "سب کو صبح بخیر، آج ہم اگلے سال کے بجٹ پر بات کریں گے۔",
            "میرا خیال ہے کہ ہمیں ریلیز کو مہینے کے آخر تک ملتوی کر دینا چاہیے۔",
            "کیا آپ مجھے جمعہ سے پہلے رپورٹ بھیج سکتے ہیں؟",
        ),
    ),
}


def espeak_executable() -> str | None:
    return shutil.which("espeak-ng")


def synthesize(language: str, folder: Path, sentences: int = 3, gap: float = 0.6) -> Path:
    """`sentences` of SENTENCES[language] spoken one after another with `gap` seconds of
    silence between them, as a 16 kHz mono FLAC in `folder`; returns its path."""
    executable = espeak_executable()
    if executable is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    voice, texts = SENTENCES[language]
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for index, text in enumerate(texts[:sentences]):
        wav = folder / f"{language}-{index}.wav"
        subprocess.run([executable, "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
        parts.append(wav)
    # Silence between sentences, so the VAD finds separate stretches of speech as in a meeting.
    inputs: list[str] = []
    for part in parts:
        inputs += ["-i", str(part)]
    chain = "".join(
        f"[{i}:a]aresample=16000,apad=pad_dur={gap}[a{i}];" for i in range(len(parts))
    ) + "".join(f"[a{i}]" for i in range(len(parts)))
    target = folder / f"{language}.flac"
    ffmpeg(
        *inputs,
        "-filter_complex",
        f"{chain}concat=n={len(parts)}:v=0:a=1[out]",
        "-map",
        "[out]",
        "-ac",
        "1",
        "-ar",
        "16000",
        str(target),
    )
    for part in parts:
        part.unlink()
    return target

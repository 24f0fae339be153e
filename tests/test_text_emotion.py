"""The text emotion + sentiment model: encoder, adapters, shipped weights, training, metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from annotator.emotion.labels import LABEL_INDEX, LABELS
from annotator.emotion.text import (
    DEFAULT_WEIGHTS,
    SENTIMENTS,
    TextEmotionModel,
    apply_trained,
    context_segment,
    encode_batch,
    encoder_dir,
    load_encoder,
    normalise_text,
)
from annotator.training.metrics import confusion_matrix, weighted_f1

SENTENCES = [
    "The meeting is at three.",
    "I hate you! Get out of my house right now!",
    "Oh my God, this is the best day of my life, I love it!",
    "",
]


@pytest.fixture(scope="module")
def shipped() -> TextEmotionModel:
    return TextEmotionModel.load()


def test_normalise_text_maps_typographic_and_misdecoded_quotes():
    assert normalise_text("You must\u2019ve had") == "You must've had"
    assert normalise_text("You must\x92ve had") == "You must've had"
    assert normalise_text("You must\u00e2\u0080\u0099ve had") == "You must've had"
    assert normalise_text("  Wait\u2026  what ") == "Wait... what"


def test_context_segment_is_most_recent_first_and_limited():
    assert context_segment(["one", "two", "three"], 2) == "three | two"
    assert context_segment([], 2) == ""
    assert context_segment(["one"], 0) == ""


def test_encoder_matches_the_transformers_reference():
    transformers = pytest.importorskip("transformers")
    folder = encoder_dir()
    ours, tokenizer = load_encoder(folder)
    reference = transformers.BertModel.from_pretrained(str(folder)).eval()
    ids, types, mask = encode_batch(tokenizer, SENTENCES[:3], ["", "so what", ""], 64)
    with torch.inference_mode():
        expected = reference(input_ids=ids, token_type_ids=types, attention_mask=mask)
        states = ours.eval()(ids, types, mask)
    valid = mask.bool()
    assert torch.allclose(states[valid], expected.last_hidden_state[valid], atol=1e-4)


def test_merged_adapters_equal_the_training_model():
    from annotator.training.text import TrainConfig, _Trainable

    trainable = _Trainable(TrainConfig(dropout=0.0)).eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in trainable.parameters():
            if parameter.requires_grad:
                parameter.add_(0.05 * torch.randn(parameter.shape, generator=generator))
    arrays, replaced = trainable.arrays()
    metadata = {"lora": {"rank": 8, "alpha": 16.0, "targets": trainable.targets}}
    metadata["replaced"] = replaced
    encoder, tokenizer = load_encoder()
    emotion_head, _ = apply_trained(encoder, arrays, metadata)
    ids, types, mask = encode_batch(tokenizer, SENTENCES[:3], ["", "", ""], 64)
    with torch.inference_mode():
        expected, _ = trainable(ids, types, mask)
        merged = emotion_head(encoder.eval().pooled(ids, types, mask))
    # Adapters are stored in float16: agreement to rounding.
    assert torch.allclose(merged, expected, atol=2e-2)


def test_shipped_model_is_sensible(shipped):
    assert DEFAULT_WEIGHTS.is_file()
    prediction = shipped.predict(SENTENCES)
    assert prediction.emotion.shape == (len(SENTENCES), len(LABELS))
    assert prediction.sentiment.shape == (len(SENTENCES), len(SENTIMENTS))
    assert np.allclose(prediction.emotion.sum(axis=1), 1.0)
    assert np.allclose(prediction.sentiment.sum(axis=1), 1.0)
    assert np.all(prediction.emotion[:, LABEL_INDEX["calm"]] == 0.0)
    neutral, angry, happy, empty = prediction.emotion
    assert angry[LABEL_INDEX["angry"]] > neutral[LABEL_INDEX["angry"]]
    assert angry[LABEL_INDEX["angry"]] > happy[LABEL_INDEX["angry"]]
    assert happy[LABEL_INDEX["happy"]] > neutral[LABEL_INDEX["happy"]]
    assert happy[LABEL_INDEX["happy"]] > angry[LABEL_INDEX["happy"]]
    assert neutral[LABEL_INDEX["neutral"]] > max(angry[LABEL_INDEX["neutral"]], 0.3)
    assert prediction.sentiment_labels[1] == "negative"
    assert prediction.sentiment_labels[2] == "positive"
    assert np.isfinite(empty).all()


def test_shipped_model_prior_and_context(shipped):
    assert shipped.prior.shape == (len(LABELS),)
    assert shipped.prior.sum() == pytest.approx(1.0, abs=1e-4)
    assert shipped.prior[LABEL_INDEX["calm"]] == 0.0
    assert shipped.prior.argmax() == LABEL_INDEX["neutral"]
    with_context = shipped.predict(["Really?"], [["I got the job!", "They called this morning."]])
    assert np.allclose(with_context.emotion.sum(), 1.0)
    assert shipped.predict([]).emotion.shape == (0, len(LABELS))
    with pytest.raises(ValueError):
        shipped.predict(["a", "b"], [["only one context"]])


def test_weighted_f1_matches_scikit_learn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 5, 300)
    predicted = np.where(rng.random(300) < 0.6, truth, rng.integers(0, 5, 300))
    predicted[predicted == 4] = 3  # a class never predicted
    ours = weighted_f1(confusion_matrix(truth, predicted, 5))
    assert ours == pytest.approx(f1_score(truth, predicted, average="weighted"), abs=1e-12)


def test_train_and_evaluate_on_a_slice(shared, tmp_path):
    from annotator.training.text import (
        evaluate_text_model,
        read_meld,
        render_text_evaluation,
        train_text_model,
    )

    data = shared / "data" / "meld-text"
    train = read_meld(data, "train", limit=40)
    assert train[3].context == tuple(u.text for u in train[:3])  # one dialogue, in order
    assert all("\u2019" not in u.text for u in train)

    out = tmp_path / "text.npz"
    summary = train_text_model(data, out, seed=0, limit=40)
    assert out.is_file() and summary["train_utterances"] == 40
    with np.load(out, allow_pickle=False) as archive:
        assert "metadata" in archive.files

    result = evaluate_text_model(data, out, split="dev", limit=40)
    for key in ("accuracy", "uar", "weighted_f1"):
        assert 0.0 <= result[key] <= 1.0
        assert 0.0 <= result["sentiment"][key] <= 1.0
    assert np.sum(result["confusion_matrix"]) == 40
    assert np.sum(result["sentiment"]["confusion_matrix"]) == 40
    text = render_text_evaluation(result)
    assert "weighted F1" in text and "sentiment" in text

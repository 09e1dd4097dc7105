#!/usr/bin/env bash
# Reproducible recipe for the classifier shipped in sasnets/pretrained/.
#
#   scripts/pretrain.sh [generate|train|evaluate|ship|all]   (default: all)
#
# Every stage is resumable: generation tops the stores up to their counts,
# training continues with --resume.  PRETRAIN_DIR (default
# /tmp/sasnets-pretrain) holds the stores, the training run and the
# evaluation; nothing large lands in the repository.
# Curves per model are budgeted by the measured cost of one 150-point curve on
# one CPU core (superball ~1.7 s; the paracrystals, pringle and
# truncated_octahedron ~0.3 s; the orientation-averaged shapes listed as
# MEDIUM 0.02-0.08 s; everything else 1-100 ms):  PRETRAIN_COUNT (default 1200)
# for the cheap models, PRETRAIN_MEDIUM (400), PRETRAIN_SLOW (150) and
# PRETRAIN_SLOWEST (60).  Curves use the instrument preset (each its own q
# window, point count, noise, scale and background; particle shapes no larger
# than pi/qmin).  The model card (sasnets/pretrained/MODEL_CARD.md) records
# the budgets and epochs the shipped classifier was trained with.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${PRETRAIN_DIR:-/tmp/sasnets-pretrain}
STORE=$DIR/data.h5      # test tag (smeared like measurements)
TRAIN=$DIR/train.h5     # training curves
RUN=$DIR/classifier
ARCH=${PRETRAIN_ARCH:-resnet1d_large}
NAME=${PRETRAIN_NAME:-instrument-resnet1d-large}
EPOCHS=${PRETRAIN_EPOCHS:-80}
CHEAP_COUNT=${PRETRAIN_COUNT:-1200}
MEDIUM_COUNT=${PRETRAIN_MEDIUM:-400}
SLOW_COUNT=${PRETRAIN_SLOW:-150}
SLOWEST_COUNT=${PRETRAIN_SLOWEST:-60}
STAGE=${1:-all}
mkdir -p "$DIR"

SLOWEST=(superball)
SLOW=(bcc_paracrystal fcc_paracrystal sc_paracrystal pringle truncated_octahedron)
MEDIUM=(micromagnetic_FF_3D core_shell_parallelepiped two_yukawa elliptical_cylinder
        triaxial_ellipsoid core_shell_bicelle_elliptical
        core_shell_bicelle_elliptical_belt_rough barbell parallelepiped capped_cylinder)
exclude_args=()
for m in "${SLOWEST[@]}" "${SLOW[@]}" "${MEDIUM[@]}"; do exclude_args+=(-x "$m"); done

gen_into() {  # gen_into STORE TAG SEED COUNT MODELS... [generate options]
    local store=$1 tag=$2 seed=$3 count=$4; shift 4
    sasnets generate "$@" --preset instrument --count "$count" --tag "$tag" \
        --seed "$seed" -o "$store"
}

gen_every_model() {  # gen_every_model TAG SEED CHEAP MEDIUM SLOW SLOWEST: curves per model by cost, into STORE
    local tag=$1 seed=$2
    gen_into "$STORE" "$tag" "$seed" "$3" all "${exclude_args[@]}"
    gen_into "$STORE" "$tag" "$seed" "$4" "${MEDIUM[@]}"
    gen_into "$STORE" "$tag" "$seed" "$5" "${SLOW[@]}"
    gen_into "$STORE" "$tag" "$seed" "$6" "${SLOWEST[@]}"
}

if [[ $STAGE == generate || $STAGE == all ]]; then
    # Test set first (small), then the training set, cheapest models first.
    gen_every_model test 2 60 60 40 30
    # Calibration set: smeared like the test set, other seed; the softmax
    # temperature is fitted on it (the validation curves are unsmeared).
    gen_every_model calibrate 3 30 30 20 15
    # Training set, unsmeared (--resolution 0): the training augmentation adds
    # instrument-like resolution smearing per curve and epoch, and unsmeared
    # curves are cheaper to simulate (no extra smearing points).  Four processes in parallel, each writing its own store (one
    # HDF5 file has one writer), merged afterwards with sasnets convert.
    gen_into "$DIR/train-medium.h5" train 1 "$MEDIUM_COUNT" "${MEDIUM[@]}" --resolution 0 --workers 1 \
        > "$DIR/generate-medium.log" 2>&1 &
    medium_pid=$!
    gen_into "$DIR/train-slow.h5" train 1 "$SLOW_COUNT" "${SLOW[@]}" --resolution 0 --workers 1 \
        > "$DIR/generate-slow.log" 2>&1 &
    slow_pid=$!
    gen_into "$DIR/train-superball.h5" train 1 "$SLOWEST_COUNT" "${SLOWEST[@]}" --resolution 0 --workers 1 \
        > "$DIR/generate-superball.log" 2>&1 &
    superball_pid=$!
    gen_into "$TRAIN" train 1 "$CHEAP_COUNT" all "${exclude_args[@]}" --resolution 0
    wait "$medium_pid" "$slow_pid" "$superball_pid"
    for part in medium slow superball; do
        sasnets convert "$DIR/train-$part.h5" "$TRAIN" --tag train
    done
    sasnets info "$TRAIN"
fi

if [[ $STAGE == train || $STAGE == all ]]; then
    resume=()
    [[ -f $RUN/classifier.json || -d $RUN/checkpoint ]] && resume=(--resume)
    # The default augmentation with clean_prob 0: these curves are unsmeared and
    # every test curve is smeared, so none is left as simulated.  Tried and not shipped:
    # only smearing every curve 2-10 % plus a little extra noise, crop and
    # density change, with widths [48,96,144,192]: 49.1 % / 82.5 % test
    # top-1 / top-5 after 40 epochs against 48.9 % / 81.9 % for this recipe at
    # 40 epochs, within the test set's noise, at 2.3x the inference cost and a
    # worse calibration.  resnet1d for 80 epochs gave 50.3 % / 82.3 %; on 67
    # cheap models x 600 curves (25 epochs) resnet1d_large scored 51.0 % / 85.0 %
    # against resnet1d's 48.3 % / 83.1 %, so it is the shipped architecture
    # (PRETRAIN_ARCH=resnet1d trains the cheaper one).
    choices=(--augment-set clean_prob=0)
    [[ ${#resume[@]} -gt 0 ]] && choices=()  # a resumed run keeps its saved choices
    sasnets train "$TRAIN" -o "$RUN" --arch "$ARCH" --tag train \
        --qmin 0.001 --qmax 0.6 --nq 128 --epochs "$EPOCHS" --patience "$EPOCHS" --seed 0 \
        "${choices[@]}" --no-tensorboard "${resume[@]}"
fi

if [[ $STAGE == evaluate || $STAGE == all ]]; then
    sasnets evaluate "$RUN" "$STORE" --tag test --calibrate-on calibrate | tee "$DIR/evaluation.txt"
fi

if [[ $STAGE == ship || $STAGE == all ]]; then
    # copies the classifier (no checkpoint/logs) into sasnets/pretrained/ and
    # writes sasnets/pretrained/MODEL_CARD.md from its test-set evaluation; the
    # candidates of PRETRAIN_FIT_VERIFY (150) test curves are fitted for the card (~20 min)
    python scripts/ship_pretrained.py "$RUN" "$STORE" --tag test --train-store "$TRAIN" --name "$NAME" \
        --fit-verify "${PRETRAIN_FIT_VERIFY:-150}"
fi

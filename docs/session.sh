#!/bin/sh
# Regenerate docs/session.txt: a full intake in an 80x24 tmux pane, captured with its
# scrollback once done, and the last screen as the clinician sees it.
# Run from the repository root with hamstring on PATH; needs tmux.
set -eu
out=docs/session.txt
home=/tmp/physio
rm -rf "$home" && mkdir -p "$home/notes"
tmux kill-session -t hamstring-doc 2>/dev/null || true
tmux new-session -d -s hamstring-doc -x 80 -y 24 \
    "env -i HOME=$home PATH=$PATH TERM=xterm-256color LANG=C.UTF-8 PS1='$ ' sh"
tmux set-option -t hamstring-doc history-limit 5000
keys() { tmux send-keys -t hamstring-doc "$@"; sleep 0.6; }
keys "clear; cd $home/notes && hamstring triage" Enter
sleep 2
first=$(tmux capture-pane -p -t hamstring-doc)
keys Up Space Enter            # safety screen: None of these
keys 2 Enter                   # anticoagulants: No
keys 45 Enter                  # age
keys 1 Enter                   # onset: suddenly
keys 1 Enter                   # mechanism: an overstretch
keys 1 Enter                   # pop: yes
keys 2 Enter                   # could carry on: no
keys 5 Enter                   # days since injury
keys b Enter                   # back to the days
keys C-a C-k 6 Enter           # six days, not five
keys 3 Enter                   # bruising: a large bruise
keys 2 Enter                   # walking: with a limp
keys 1 Enter                   # pain site: the sit bone
keys 2 Enter                   # sitting: after sitting for a while
keys 2 Enter                   # numbness: back of the thigh
keys 2 Enter                   # back pain: no
keys 2 Enter                   # injured before: no
keys 1 Enter                   # examined: yes
keys 1 Enter                   # ischial tenderness: yes
keys 3 Enter                   # gap: cannot tell
keys 2 Enter                   # knee flexion: weak
keys 3 Enter                   # bent-knee stretch: not done
keys 2 Enter                   # straight leg raise: negative
sleep 1
keys q                         # close the pager of the review
keys 2 Enter                   # change an answer
keys Down Down Enter           # the age, third in the list of answers
keys C-a C-k 52 Enter          # 52, not 45
sleep 1
keys q                         # close the pager of the review
keys 1 Enter                   # show the summary
sleep 1
last=$(tmux capture-pane -p -t hamstring-doc)
keys 3 Enter                   # save a report
keys 1 Enter                   # Markdown
keys Enter                     # the suggested file name
keys "ls -l; ls ~/.local/state/hamstring/sessions" Enter
sleep 1
{
    echo "A full intake with the bundled questionnaire in an 80x24 terminal (tmux; made by"
    echo "docs/session.sh). It goes back once (the day count, 5 to 6), changes an answer"
    echo "from the review (age 45 to 52), shows the summary and saves the Markdown report;"
    echo "the session file is gone afterwards. First the opening screen and the screen"
    echo "with the summary as the clinician sees them, then the whole session."
    echo
    echo "--- the opening screen (80x24) ------------------------------------------------"
    printf '%s\n' "$first"
    echo "--- the screen with the summary (80x24) ---------------------------------------"
    printf '%s\n' "$last"
    echo "--- the whole session -----------------------------------------------------------"
    tmux capture-pane -p -S - -E - -t hamstring-doc | sed -e 's/[[:space:]]*$//'
} > "$out"
tmux kill-session -t hamstring-doc

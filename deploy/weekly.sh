#!/usr/bin/env bash
# aidenum weekly job: collect every source, rebuild the search index, then (when a plan is
# configured) write the plan's digest. A lock (flock) makes sure two runs never overlap.
#
# Environment:
#   AIDENUM_HOME            where the catalogue, index, status files and logs live
#   AIDENUM_BIN             the aidenum command (default: "aidenum" on PATH)
#   AIDENUM_PLAN            plan file for the digest (optional: no plan, no digest)
#   AIDENUM_DIGEST_OPTIONS  extra digest options, e.g. "--envoyer --destinataire chef@mairie.fr"
#   AIDENUM_LOCK            lock file (default: $AIDENUM_HOME/weekly.lock)
#
# Exit codes: 0 all went well; 1 a source failed or was partial (the others landed, the index
# was rebuilt); 2 the index or the digest failed; 73 the lock file cannot be created or opened
# (a permission or path problem, not a concurrent run); 75 another run holds the lock.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${AIDENUM_HOME:-$here/../data}"
lock="${AIDENUM_LOCK:-$home/weekly.lock}"
aidenum="${AIDENUM_BIN:-aidenum}"

cannot_lock() {
    local reason="$1"
    case "$reason" in   # the system's English, as the rest of aidenum says it
        *"Permission denied"*) reason="permission refusée" ;;
        *"Read-only file system"*) reason="système de fichiers en lecture seule" ;;
        *"Not a directory"*|*"File exists"*) reason="un élément du chemin n'est pas un dossier" ;;
        *"Is a directory"*) reason="c'est un dossier" ;;
        *"No such file or directory"*) reason="dossier introuvable" ;;
        *"No space left"*) reason="plus de place sur le disque" ;;
    esac
    echo "aidenum : verrou $lock impossible à créer ou à ouvrir en écriture ($reason) ; vérifiez AIDENUM_LOCK et les droits du dossier. Cette exécution est abandonnée." >&2
    exit 73
}
error="$(mkdir -p "$(dirname "$lock")" 2>&1)" || cannot_lock "${error##*: }"
error="$( { exec 9>>"$lock"; } 2>&1)" || cannot_lock "${error##*: }"
exec 9>>"$lock"
flock --nonblock --conflict-exit-code 75 9
case $? in
    0) ;;
    75) echo "aidenum : une veille hebdomadaire est déjà en cours (verrou $lock) ; cette exécution est abandonnée." >&2
        exit 75 ;;
    *) cannot_lock "flock a échoué" ;;
esac

log() { echo "[$(date '+%Y-%m-%d %H:%M:%S')] $*"; }
status=0

log "Collecte des sources…"
"$aidenum" crawl || { log "Collecte incomplète : voir le compte rendu ci-dessus (les autres sources sont enregistrées)."; status=1; }

log "Mise à jour de l'index de recherche…"
if ! "$aidenum" index; then
    log "Échec de la mise à jour de l'index : résumé non produit."
    exit 2
fi

if [ -n "${AIDENUM_PLAN:-}" ]; then
    log "Résumé de la veille pour le plan $AIDENUM_PLAN…"
    # shellcheck disable=SC2086  # options are meant to be split
    "$aidenum" digest "$AIDENUM_PLAN" --last-run ${AIDENUM_DIGEST_OPTIONS:-} || { log "Échec du résumé."; exit 2; }
else
    log "Pas de plan configuré (AIDENUM_PLAN) : pas de résumé."
fi

log "Veille terminée (code $status)."
exit "$status"

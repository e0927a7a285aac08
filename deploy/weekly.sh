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
# was rebuilt); 2 the index or the digest failed; 75 another run holds the lock.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${AIDENUM_HOME:-$here/../data}"
lock="${AIDENUM_LOCK:-$home/weekly.lock}"
aidenum="${AIDENUM_BIN:-aidenum}"

mkdir -p "$(dirname "$lock")"
exec 9>>"$lock"
if ! flock --nonblock 9; then
    echo "aidenum : une veille hebdomadaire est déjà en cours (verrou $lock) ; cette exécution est abandonnée." >&2
    exit 75
fi

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
